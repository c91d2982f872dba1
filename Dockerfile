# duban 督办 — production image: `duban run` against Telegram.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DUBAN_DATA_DIR=/data \
    DUBAN_CONFIG=/config/tasks.yaml \
    TZ=Asia/Shanghai

# tzdata for Asia/Shanghai. The chart's CJK font (Noto Sans CJK SC) comes with the Python
# dependencies (mplfonts), so no system font package is needed.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tzdata \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
RUN pip install .

# The shipped table; mount your own over /config (read-only) in production.
COPY config/tasks.yaml /config/tasks.yaml

RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin duban \
    && mkdir -p /data && chown duban:duban /data
USER duban
VOLUME ["/data"]

# Healthy when the database opens and the bot's tick ran in the last 5 minutes.
HEALTHCHECK --interval=60s --timeout=20s --start-period=30s --retries=3 \
    CMD ["duban", "health"]

ENTRYPOINT ["duban"]
CMD ["run"]
