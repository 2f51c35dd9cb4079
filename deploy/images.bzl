"""Tags of the deployment's own images, as their `:load` gives them and compose.yaml names them."""

# Debian 13's PostgreSQL 17 (third_party/debian/postgres).
POSTGRES_IMAGE = "localhost/postgres:17"

# Debian 13's Prometheus 2.53 and blackbox exporter 0.26 (third_party/debian/prometheus).
PROMETHEUS_IMAGE = "localhost/prometheus:2.53"
