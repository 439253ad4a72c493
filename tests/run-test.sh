#!/bin/sh
# Runs one test for automake's TAP driver: GLib test programs are asked for TAP,
# scripts speak TAP themselves.
case "$1" in
*.sh) exec /bin/bash "$@" ;;
*) exec "$@" --tap ;;
esac
