# syntax=docker/dockerfile:1
# Build: docker build -t scopewatch .
# Run:   docker run --rm -p 8080:8080 --read-only -v scopewatch-data:/data scopewatch serve --demo

FROM rust:1.95-bookworm AS build
WORKDIR /src
# Dependencies first, so source edits do not rebuild them.
COPY Cargo.toml Cargo.lock build.rs ./
COPY crates/genesys-api/Cargo.toml crates/genesys-api/
COPY crates/scopewatch-sim/Cargo.toml crates/scopewatch-sim/
RUN mkdir src && echo 'fn main() {}' > src/main.rs && echo '' > src/lib.rs \
    && mkdir crates/genesys-api/src crates/scopewatch-sim/src \
    && echo '' > crates/genesys-api/src/lib.rs && echo '' > crates/scopewatch-sim/src/lib.rs \
    && mkdir -p migrations/sqlite migrations/postgres \
    && cargo build --release --locked \
    && rm -rf src crates/genesys-api/src crates/scopewatch-sim/src
COPY src src
COPY crates crates
COPY migrations migrations
COPY openapi.yaml ./
RUN touch src/main.rs src/lib.rs crates/genesys-api/src/lib.rs crates/scopewatch-sim/src/lib.rs \
    && cargo build --release --locked
# An empty /data owned by the runtime user: a new named volume copies the image's ownership, and a
# root-owned /data (what VOLUME alone creates) would leave uid 65532 unable to create the database.
RUN mkdir /data

# distroless: glibc and CA certificates, no shell, runs as uid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/scopewatch /usr/local/bin/scopewatch
COPY --from=build --chown=65532:65532 /data /data
# The only writable place (the root filesystem is read-only): the SQLite file.
VOLUME ["/data"]
ENV SCOPEWATCH_LISTEN=0.0.0.0:8080 \
    SCOPEWATCH_DATABASE_URL=sqlite:///data/scopewatch.db \
    SCOPEWATCH_LOG_FORMAT=json
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/scopewatch", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/scopewatch"]
CMD ["serve"]
