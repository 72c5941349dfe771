# One image for the three deployables: `ticket-router serve` (default), `ticket-trainer serve` and
# `ticket-console serve`.
#
#   docker build -t ticket-router .
#   docker run --rm ticket-router ticket-router --help
#
# Stages: deps (third-party packages only, rebuilt when pyproject.toml changes) -> build (the
# project's wheel, rebuilt when the source changes) -> runtime (slim, non-root).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- deps: a virtualenv with every runtime dependency, and nothing of the project's source ----
FROM ${PYTHON_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Only pyproject.toml here, so editing the source does not reinstall TensorFlow. The dependencies and the
# `tracing` extra (TICKET_ROUTER_TRACING=true turns it on).
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print('\n'.join(p['dependencies'] + p['optional-dependencies']['tracing']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

# ---- build: the project as a wheel ----
FROM deps AS build
COPY README.md ./
COPY schemas ./schemas
COPY core ./core
COPY classifier ./classifier
COPY streaming ./streaming
COPY service ./service
COPY training ./training
COPY console ./console
RUN pip wheel --no-deps --wheel-dir /wheels .

# ---- runtime ----
FROM ${PYTHON_IMAGE} AS runtime
ARG APP_UID=10001
# jemalloc keeps the router's memory flat over long runs; `serve` preloads it (TICKET_ROUTER_ALLOCATOR).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libjemalloc2 \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid ${APP_UID} app \
    && useradd --system --uid ${APP_UID} --gid app --home-dir /home/app --create-home --shell /usr/sbin/nologin app \
    && mkdir -p /var/lib/ticket-router/models /var/lib/ticket-router/trainer \
    && chown -R app:app /var/lib/ticket-router
# Named volumes mounted on /var/lib/ticket-router/* take this ownership, so the app user can write them.

COPY --from=deps /opt/venv /opt/venv
COPY --from=build /wheels /tmp/wheels
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps /tmp/wheels/*.whl && rm -rf /tmp/wheels

# The shipped model registry (read-only in the image); compose copies it into the shared volume.
COPY models /app/models
COPY deploy/seed_registry.py /app/deploy/seed_registry.py

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    MPLCONFIGDIR=/tmp/matplotlib \
    TICKET_MODEL_REGISTRY=/app/models/classifier

USER app
WORKDIR /home/app
EXPOSE 9100 8080 8090

# Liveness of the router's HTTP endpoint (compose overrides the URL for the trainer); urlopen raises
# on a non-2xx answer, so the exit code is the verdict. No curl in the image.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9100/healthz', timeout=4)"]

# Exec form: Python is the process that receives SIGTERM (drain, flush, commit, exit).
CMD ["ticket-router", "serve"]
