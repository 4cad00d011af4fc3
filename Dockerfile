# syntax=docker/dockerfile:1
# The GitHub build (.github/workflows/release.yml, one image per architecture, then
# `crossplane xpkg build` embeds it): build the wheel, install it into a venv whose interpreter
# matches the runtime image's (Debian 12's Python 3.11 at /usr/bin), copy only the venv into
# distroless. The runtime dependencies come from requirements.txt, hash-checked, as in
# Dockerfile.konflux.

FROM python:3.11-slim-bookworm AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY function ./function
RUN python -m pip wheel --no-cache-dir --disable-pip-version-check --no-deps --wheel-dir /wheels .

FROM debian:12-slim AS venv
# Debian 12's python3-venv is the distroless image's Python; the release itself is fixed.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install --yes --no-install-recommends --no-install-suggests python3-venv \
 && rm -rf /var/lib/apt/lists/*
# The venv's python links to /usr/bin/python3.11, which the distroless image also has.
RUN python3 -m venv /venv
COPY requirements.txt /tmp/requirements.txt
RUN /venv/bin/pip install --no-cache-dir --disable-pip-version-check --require-hashes -r /tmp/requirements.txt
COPY --from=wheel /wheels /wheels
RUN /venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps /wheels/*.whl \
 && /venv/bin/function-ephemeral-cluster --help > /dev/null

FROM gcr.io/distroless/python3-debian12:nonroot AS image
WORKDIR /
COPY --from=venv /venv /venv
ENV PYTHONUNBUFFERED=1
EXPOSE 9443
USER 65532:65532
ENTRYPOINT ["/venv/bin/function-ephemeral-cluster"]
