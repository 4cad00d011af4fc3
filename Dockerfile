# syntax=docker/dockerfile:1
# Three stages: build the wheel, install it into a venv whose interpreter matches the runtime
# image's (Debian 12's Python 3.11 at /usr/bin), then copy only the venv into distroless.

FROM python:3.11-slim-bookworm AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY function ./function
RUN python -m pip wheel --no-cache-dir --disable-pip-version-check --no-deps --wheel-dir /wheels .

FROM debian:12-slim AS venv
RUN apt-get update \
 && apt-get install --yes --no-install-recommends --no-install-suggests python3-venv \
 && rm -rf /var/lib/apt/lists/*
# The venv's python links to /usr/bin/python3.11, which the distroless image also has.
RUN python3 -m venv /venv
COPY --from=wheel /wheels /wheels
RUN /venv/bin/pip install --no-cache-dir --disable-pip-version-check /wheels/*.whl \
 && /venv/bin/function-ephemeral-cluster --help > /dev/null

FROM gcr.io/distroless/python3-debian12:nonroot AS image
WORKDIR /
COPY --from=venv /venv /venv
ENV PYTHONUNBUFFERED=1
EXPOSE 9443
USER 65532:65532
ENTRYPOINT ["/venv/bin/function-ephemeral-cluster"]
