"""One module per schema revision, applied in order by ``console.db.upgrade``."""
