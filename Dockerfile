# slb-ccm's image for users with Docker (or any BuildKit-compatible builder):
#   docker build -t REGISTRY/slb-ccm:TAG . && docker push REGISTRY/slb-ccm:TAG
# Without a daemon, scripts/build-image.sh writes the same layout as an OCI archive (the tests
# use that one). Both give: the stripped binary, glibc and libgcc_s, user 65532, no shell.
# Run it with a read-only root filesystem (deploy/deployment.yaml does): it writes nothing.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates crates
COPY examples examples
RUN cargo build --release --locked -p slb-ccm \
 && strip target/release/slb-ccm \
 && cp target/release/slb-ccm /slb-ccm

# distroless "cc": glibc, libgcc_s, CA certificates, /etc/passwd with nonroot (65532); no shell.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /slb-ccm /usr/local/bin/slb-ccm
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/slb-ccm"]
