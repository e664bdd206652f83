#!/usr/bin/env bash
# The replica set's keyFile (members authenticate to each other with it; with a keyFile,
# mongod also requires every client to log in). Run by the mongodb-keyfile service of
# docker-compose.yml, as root in the mongo image, on the volume mongod reads it from: made
# once, then only its owner and mode are set again (mongod refuses a key others can read).
set -euo pipefail
key=/keyfile/key
if [[ ! -s "$key" ]]; then
    umask 077
    head -c 756 /dev/urandom | base64 -w 0 > "$key"  # 1008 characters: mongod takes up to 1024
    echo "mongodb-keyfile: made $key"
fi
chown mongodb:mongodb "$key"
chmod 400 "$key"
