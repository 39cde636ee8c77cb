#!/bin/sh
# Writes the AudioBridge admin key from the environment (Janus's config files do not
# read it), then runs Janus on the config folder made for Convene.
set -eu
: "${JANUS_ADMIN_KEY:?set JANUS_ADMIN_KEY (the same value as CONVENE_JANUS_ADMIN_KEY)}"
conf=/tmp/janus-conf
mkdir -p "$conf"
cp /etc/convene-janus/*.jcfg "$conf"/
sed -i "s|@ADMIN_KEY@|$JANUS_ADMIN_KEY|" "$conf/janus.plugin.audiobridge.jcfg"
exec janus -F "$conf" -C "$conf/janus.jcfg"
