# duban 督办 — production image: `duban run` against Telegram.
#
# It installs requirements/runtime.txt, the lock file that `make` installs for CI (exact
# versions, every file hash-checked), then duban itself without dependencies.
# tests/deploy/test_dockerfile.py parses this file, checks its steps in order and replays
# its install steps in a fresh venv: change the steps and that test together.

# Build stage: the one CJK font the chart uses, out of the ~85 MB mplfonts wheel (the
# `fonts` extra, pinned in requirements/fonts.txt). Nothing else of this stage is kept.
FROM python:3.11-slim AS font
COPY requirements/fonts.txt /tmp/fonts.txt
RUN pip install --no-cache-dir --no-deps --require-hashes -r /tmp/fonts.txt

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DUBAN_DATA_DIR=/data \
    DUBAN_CONFIG=/config \
    DUBAN_FONT=/usr/local/share/duban/NotoSansCJKsc-Regular.otf \
    TZ=Asia/Shanghai

# tzdata for Asia/Shanghai.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tzdata \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements/runtime.txt requirements/runtime.txt
RUN pip install --require-hashes -r requirements/runtime.txt
COPY pyproject.toml README.md ./
COPY bot bot
COPY storage storage
RUN pip install --no-deps .

# The chart's font (DUBAN_FONT above) and its license (SIL OFL 1.1), side by side.
COPY --from=font /usr/local/lib/python3.11/site-packages/mplfonts/fonts/NotoSansCJKsc-Regular.otf /usr/local/share/duban/NotoSansCJKsc-Regular.otf
COPY licenses/NotoSansCJK-OFL.txt /usr/local/share/duban/NotoSansCJK-OFL.txt

# The shipped table; mount your own over /config (read-only) in production.
COPY config/tasks.yaml /config/tasks.yaml

RUN groupadd --system --gid 10001 duban \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --shell /usr/sbin/nologin duban \
    && mkdir -p /data && chown duban:duban /data
USER 10001:10001
VOLUME ["/data"]

# Healthy when the database opens and the bot's tick ran in the last 5 minutes.
HEALTHCHECK --interval=60s --timeout=20s --start-period=30s --retries=3 \
    CMD ["duban", "health"]

ENTRYPOINT ["duban"]
CMD ["run"]
