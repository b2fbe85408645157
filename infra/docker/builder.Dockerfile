# A stand-in for docker.io/library/rust:*-slim-bookworm where no registry is
# reachable: Debian's slim image (made by debootstrap), gcc for the C parts
# (bundled SQLite, ring) and the host's own Rust toolchain. `cargo xtask
# images` builds it with a context holding `toolchain/` (the host's
# toolchain pieces) and `ca-certificates.crt` (the host's CA bundle, so
# cargo can reach crates.io through a TLS-intercepting proxy). The bundle
# lives only in this builder, never in a runtime image.
# A build stage only, never run as a service:
# checkov:skip=CKV_DOCKER_2: no long-running process to health-check
# checkov:skip=CKV_DOCKER_3: builds run as root by design; the runtime image runs as 65532
# checkov:skip=CKV_DOCKER_7: DEBIAN_IMAGE defaults to a pinned local tag
ARG DEBIAN_IMAGE=todo-local/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev pkg-config ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY toolchain/ /usr/local/rust/
# Same CARGO_HOME as the official image, so the cache mounts in the app
# Dockerfile point at the same place with either builder.
ENV CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN mkdir -p /usr/local/cargo && cargo --version && rustc --version
