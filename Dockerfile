# PMS Sync: the service (`pms-sync serve`). Settings come from PMS_SYNC_* variables (README,
# "Configuration"); compose.yaml runs it with PostgreSQL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PMS_SYNC_DATABASE_URL=sqlite:////data/pms-sync.db

RUN groupadd --system --gid 10001 pms-sync \
    && useradd --system --uid 10001 --gid pms-sync --home-dir /app --no-create-home pms-sync \
    && mkdir /data && chown pms-sync:pms-sync /data

WORKDIR /app
# The pages' templates and /static are read from the source tree, so it is installed in place.
COPY . .
RUN pip install --editable . && python -m compileall -q /app

USER pms-sync
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]

CMD ["pms-sync", "serve", "--host", "0.0.0.0", "--port", "8000"]
