"""Training the department classifier: data, vocabulary, model, linear branch, training, export, evaluation, reports."""
