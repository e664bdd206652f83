#!/usr/bin/env bash
# Kafka's own administration in docker-compose.yml, run inside the apache/kafka image as the
# broker's principal (User:kafka, SASL/PLAIN on the BROKER listener, password BROKER_PASSWORD),
# a super user: it is the only one that exists before the SCRAM users do.
#
#   admin.sh healthcheck   the broker answers on its BROKER listener (the kafka service)
#   admin.sh init          (the kafka-init service) a SCRAM-SHA-512 user for each SCRAM_<USER>
#                          variable (SCRAM_CFA_INTAKE=password -> user cfa-intake), then every
#                          ACL of acls.txt. Both are idempotent: a rerun sets the passwords
#                          again (that is how one rotates them) and re-adds the ACLs.
#
# DRY_RUN=1 prints the Kafka commands instead of running them (passwords shown as <secret>);
# tests/unit/test_deploy.py runs it so to check what this script makes of acls.txt.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
bin="${KAFKA_BIN:-/opt/kafka/bin}"
bootstrap="${ADMIN_BOOTSTRAP:-kafka:9094}"
acls="${ACLS_FILE:-$here/acls.txt}"
password_pattern='^[A-Za-z0-9_-]{16,}$'  # safe in JAAS quotes, kafka-configs' [...] and URLs

fail() {
    echo "admin.sh: $*" >&2
    exit 1
}

client_config() {  # the tools' connection as User:kafka, in a file only we can read
    [[ "${BROKER_PASSWORD:-}" =~ $password_pattern ]] || fail "BROKER_PASSWORD: 16+ URL-safe characters"
    config="$(mktemp)"
    trap 'rm -f "$config"' EXIT
    chmod 600 "$config"
    cat > "$config" <<EOF
security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="kafka" password="$BROKER_PASSWORD";
EOF
}

run() {  # a Kafka tool against the broker, retried while the controller settles
    local tool="$1" secret="$2"
    shift 2
    if [[ -n "${DRY_RUN:-}" ]]; then
        local shown="$tool $*"
        [[ -z "$secret" ]] || shown="${shown//"$secret"/<secret>}"
        echo "$shown"
        return
    fi
    local attempt
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        "$bin/$tool" --bootstrap-server "$bootstrap" --command-config "$config" "$@" > /dev/null && return
        echo "admin.sh: $tool failed (attempt $attempt), retrying" >&2
        sleep 3
    done
    fail "$tool $1 ... gave up"
}

create_users() {
    local variable user password
    for variable in $(compgen -e | grep '^SCRAM_' | sort); do
        user="$(tr 'A-Z_' 'a-z-' <<< "${variable#SCRAM_}")"
        password="${!variable}"
        [[ "$password" =~ $password_pattern ]] || fail "$variable: 16+ URL-safe characters"
        echo "SCRAM-SHA-512 user $user"
        run kafka-configs.sh "$password" --alter --entity-type users --entity-name "$user" \
            --add-config "SCRAM-SHA-512=[iterations=8192,password=$password]"
    done
}

grant_acls() {
    local principal operations resource names extra operation name
    local -a args split
    while read -r principal operations resource names extra; do
        [[ -z "$principal" || "$principal" == \#* ]] && continue
        [[ -n "$names" && -z "$extra" ]] || fail "$acls: not 'principal operations resource names': $principal $operations $resource $names $extra"
        [[ "$resource" == topic || "$resource" == group ]] || fail "$acls: resource $resource is not topic or group"
        args=(--add --allow-principal "$principal")
        IFS=, read -ra split <<< "$operations"
        for operation in "${split[@]}"; do args+=(--operation "$operation"); done
        IFS=, read -ra split <<< "$names"
        for name in "${split[@]}"; do args+=("--$resource" "$name"); done
        echo "ACL $principal $operations $resource $names"
        run kafka-acls.sh "" "${args[@]}"
    done < "$acls"
}

case "${1:-}" in
    healthcheck)
        client_config
        "$bin/kafka-broker-api-versions.sh" --bootstrap-server localhost:9094 --command-config "$config" > /dev/null
        ;;
    init)
        client_config
        create_users
        grant_acls
        echo "admin.sh: users and ACLs are in place"
        ;;
    *)
        fail "usage: admin.sh healthcheck|init"
        ;;
esac
