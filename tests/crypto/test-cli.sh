#!/bin/sh
# srtpsdes — tests of the sdes-crypto CLI (sip/crypto/sdes-crypto-tool.c)
#
# Copyright (C) 2026 srtpsdes developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# usage: test-cli.sh PATH-TO-sdes-crypto     (TAP output)
set -u

tool=${1:?usage: test-cli.sh PATH-TO-sdes-crypto}

# Under `meson test --wrap='valgrind ...'` valgrind would check /bin/sh (which
# leaks by itself), not the tool. exec leaves valgrind (it does not trace
# children), and the re-run script runs every tool invocation under valgrind.
case "${LD_PRELOAD:-}" in
  *vgpreload*)
    exec env -u LD_PRELOAD \
      SDES_CRYPTO_CLI_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" \
      /bin/sh "$0" "$@" ;;
esac
wrap=${SDES_CRYPTO_CLI_WRAPPER:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
failed=0

ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

# $1 description, $2 expected exit code, rest: command; output in $tmp/out
run () {
  desc=$1; want=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ "$rc" -ne "$want" ]; then
    not_ok "$desc" "exit $rc, expected $want" "stdout: $(cat "$tmp/out")" "stderr: $(cat "$tmp/err")"
    return 1
  fi
  return 0
}

key_of () { printf '%s\n' "$1" | sed -n 's/.*inline:\([^|; ]*\).*/\1/p'; }

# 1. generate prints exactly one a=crypto value, AES_CM_128 key is 40 base64 chars
if run "generate --suite AES_CM_128_HMAC_SHA1_80 --tag 1" 0 $wrap "$tool" generate --suite AES_CM_128_HMAC_SHA1_80 --tag 1; then
  lines=$(wc -l <"$tmp/out")
  value=$(sed 's/^a=crypto://' "$tmp/out")
  if [ "$lines" -eq 1 ] && printf '%s\n' "$value" | grep -Eq '^1 AES_CM_128_HMAC_SHA1_80 inline:[A-Za-z0-9+/]{40}$'; then
    ok "generate prints one a=crypto value"
  else
    not_ok "generate prints one a=crypto value" "got: $(cat "$tmp/out")"
  fi
  gen1=$value
else
  gen1=
fi

# 2. lifetime and MKI are written as given (RFC 4568 §6.1)
if run "generate --lifetime 2^31 --mki 1:4" 0 $wrap "$tool" generate --suite AES_CM_128_HMAC_SHA1_80 --tag 1 --lifetime '2^31' --mki 1:4; then
  value=$(sed 's/^a=crypto://' "$tmp/out")
  if [ "$(wc -l <"$tmp/out")" -eq 1 ] && printf '%s\n' "$value" | grep -Eq '^1 AES_CM_128_HMAC_SHA1_80 inline:[A-Za-z0-9+/]{40}\|2\^31\|1:4$'; then
    ok "generate writes |2^31|1:4"
  else
    not_ok "generate writes |2^31|1:4" "got: $(cat "$tmp/out")"
  fi
  gen2=$value
else
  gen2=
fi

# 3. two generated keys differ
if [ -n "$gen1" ] && run "second generate" 0 $wrap "$tool" generate --suite AES_CM_128_HMAC_SHA1_80 --tag 1; then
  other=$(sed 's/^a=crypto://' "$tmp/out")
  if [ "$(key_of "$gen1")" != "$(key_of "$other")" ]; then ok "two generated keys differ"; else not_ok "two generated keys differ"; fi
fi

# 4. every suite generates with the right key||salt length (base64 length)
for pair in AES_CM_128_HMAC_SHA1_80:40 AES_CM_128_HMAC_SHA1_32:40 F8_128_HMAC_SHA1_80:40 \
            AES_192_CM_HMAC_SHA1_80:52 AES_192_CM_HMAC_SHA1_32:52 AES_256_CM_HMAC_SHA1_80:64 \
            AES_256_CM_HMAC_SHA1_32:64 AEAD_AES_128_GCM:40 AEAD_AES_256_GCM:60; do
  suite=${pair%%:*}; len=${pair##*:}
  if run "generate $suite" 0 $wrap "$tool" generate --suite "$suite" --tag 7; then
    key=$(key_of "$(cat "$tmp/out")")
    if [ "${#key}" -eq "$len" ] && grep -q " $suite inline:" "$tmp/out"; then
      ok "generate $suite: $len base64 chars"
    else
      not_ok "generate $suite: $len base64 chars" "got: $(cat "$tmp/out")"
    fi
  fi
done

# 5. parse of a generated line: exit 0, redacted form, no key text anywhere
if [ -n "$gen2" ] && run "parse generated line" 0 $wrap "$tool" parse "$gen2"; then
  key=$(key_of "$gen2")
  if grep -Fq '1 AES_CM_128_HMAC_SHA1_80 inline:<redacted>|2^31|1:4' "$tmp/out" &&
     ! grep -Fq "$key" "$tmp/out" "$tmp/err"; then
    ok "parse prints the redacted form and no key"
  else
    not_ok "parse prints the redacted form and no key" "stdout: $(cat "$tmp/out")"
  fi
fi

# 6. parse of the example line of Cisco "SIP Support for SRTP" ("SDP
#    Negotiation"), with its a=crypto: prefix, shows the fields
cisco='a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHawJSoj|2^20|1:32'
if run "parse Cisco example line" 0 $wrap "$tool" parse "$cisco"; then
  if grep -q 'AES_CM_128_HMAC_SHA1_32' "$tmp/out" && grep -q '2^20' "$tmp/out" &&
     grep -q '32' "$tmp/out" && ! grep -q 'd0RmdmcmVCsp' "$tmp/out" "$tmp/err"; then
    ok "parse Cisco example line shows suite, lifetime, MKI and no key"
  else
    not_ok "parse Cisco example line shows suite, lifetime, MKI and no key" "stdout: $(cat "$tmp/out")"
  fi
fi

# 6b. key text inside an ignorable "-" parameter is not printed either
# (found by fuzz-crypto-attr)
ext='1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz -FEC_KEY=inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm'
if run "parse line with key in extension" 0 $wrap "$tool" parse "$ext"; then
  if ! grep -q 'WVNfX19zZW1j\|MTIzNDU2Nzg5QUJD' "$tmp/out" "$tmp/err"; then
    ok "parse prints no key text from extensions"
  else
    not_ok "parse prints no key text from extensions" "stdout: $(cat "$tmp/out")"
  fi
fi

# 7. bad lines: exit 1 with the error code name, no key text
check_bad () {
  desc=$1; code=$2; line=$3
  if run "$desc" 1 $wrap "$tool" parse "$line"; then
    key=$(key_of "$line")
    if grep -q "$code" "$tmp/out" "$tmp/err" && { [ -z "$key" ] || ! grep -Fq "$key" "$tmp/out" "$tmp/err"; }; then
      ok "$desc: exit 1, $code"
    else
      not_ok "$desc: exit 1, $code" "stdout: $(cat "$tmp/out")" "stderr: $(cat "$tmp/err")"
    fi
  fi
}
check_bad "parse bad tag" BAD_TAG 'x1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz'
check_bad "parse wrong key length" KEY_LENGTH '1 AES_256_CM_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz'
check_bad "parse unknown suite" UNKNOWN_SUITE '1 AEAD_AES_256_GCM_8 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz'
check_bad "parse MKI length 0" MKI_LENGTH '1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:0'

# 8. generate refuses impossible arguments
# (exit 99 is valgrind's: an error in the tool, not a refusal)
check_refused () {
  desc=$1; shift
  $wrap "$tool" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 99 ] && [ ! -s "$tmp/out" ]; then
    ok "$desc"
  else
    not_ok "$desc" "exit $rc" "stdout: $(cat "$tmp/out")" "stderr: $(cat "$tmp/err")"
  fi
}
check_refused "generate --tag 0 is refused" generate --suite AES_CM_128_HMAC_SHA1_80 --tag 0
check_refused "generate --suite NO_SUCH_SUITE is refused" generate --suite NO_SUCH_SUITE --tag 1
check_refused "generate --mki 1:129 is refused" generate --suite AES_CM_128_HMAC_SHA1_80 --tag 1 --mki 1:129

# 9. parse --help prints help (it used to be parsed as a key); "--" ends
#    the options, so a value after it is a value even if it looks like one
if run "parse --help" 0 $wrap "$tool" parse --help; then
  if grep -q '^Usage:' "$tmp/out" && grep -q '@FILE' "$tmp/out" && ! grep -q 'error' "$tmp/out" "$tmp/err"; then
    ok "parse --help prints the usage, exit 0"
  else
    not_ok "parse --help prints the usage, exit 0" "stdout: $(cat "$tmp/out")" "stderr: $(cat "$tmp/err")"
  fi
fi
if run "sdes-crypto --help" 0 $wrap "$tool" --help; then
  if grep -q 'sdes-crypto parse LINE | - | @FILE' "$tmp/out"; then ok "sdes-crypto --help prints the usage, exit 0"
  else not_ok "sdes-crypto --help prints the usage, exit 0" "stdout: $(cat "$tmp/out")"; fi
fi
line1='1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20'
if run "parse -- LINE" 0 $wrap "$tool" parse -- "$line1"; then
  if grep -Fqx 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<redacted>|2^20' "$tmp/out"; then ok "parse -- LINE parses LINE"
  else not_ok "parse -- LINE parses LINE" "stdout: $(cat "$tmp/out")"; fi
fi
if run "parse -- --help" 1 $wrap "$tool" parse -- --help; then
  if grep -q '^error: SDES_CRYPTO_ERROR_BAD_TAG: ' "$tmp/err" && [ ! -s "$tmp/out" ]; then ok "parse -- --help takes --help as a value (BAD_TAG)"
  else not_ok "parse -- --help takes --help as a value (BAD_TAG)" "stderr: $(cat "$tmp/err")"; fi
fi
if run "parse --bogus" 2 $wrap "$tool" parse --bogus "$line1"; then
  if grep -q 'Unknown option --bogus' "$tmp/err" && ! grep -q 'WVNfX19z' "$tmp/err"; then ok "parse --bogus: unknown option, exit 2"
  else not_ok "parse --bogus: unknown option, exit 2" "stderr: $(cat "$tmp/err")"; fi
fi

# 10. values from standard input ("-") and from a file ("@FILE"), so that no
#     key is on the command line (ps shows it to every user)
key2=MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm
printf '# keys of call 7\r\n\r\na=crypto:%s\r\n  2 AES_CM_128_HMAC_SHA1_32 inline:%s|1:4\n' "$line1" "$key2" > "$tmp/keys"
for form in stdin file; do
  if [ $form = stdin ]; then
    $wrap "$tool" parse - < "$tmp/keys" >"$tmp/out" 2>"$tmp/err"; rc=$?
  else
    $wrap "$tool" parse "@$tmp/keys" >"$tmp/out" 2>"$tmp/err"; rc=$?
  fi
  if [ $rc -eq 0 ] && grep -Fqx 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<redacted>|2^20' "$tmp/out" &&
     grep -Fqx 'a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:<redacted>|1:4' "$tmp/out" &&
     [ "$(grep -c '^a=crypto:' "$tmp/out")" -eq 2 ] &&
     ! grep -q "WVNfX19z\|$key2" "$tmp/out" "$tmp/err"; then
    ok "parse reads two values from $form, prints them redacted"
  else
    not_ok "parse reads two values from $form, prints them redacted" "exit $rc" "stdout: $(cat "$tmp/out")" "stderr: $(cat "$tmp/err")"
  fi
done
printf '%s\n1 AES_256_CM_HMAC_SHA1_80 inline:%s\n' "$line1" "$key2" > "$tmp/bad"
if run "parse @FILE with a bad second value" 1 $wrap "$tool" parse "@$tmp/bad"; then
  if grep -q '^error: value 2: SDES_CRYPTO_ERROR_KEY_LENGTH: ' "$tmp/err" && grep -q '^a=crypto:1 ' "$tmp/out" &&
     ! grep -q "WVNfX19z\|$key2" "$tmp/out" "$tmp/err"; then
    ok "parse @FILE: value 2 refused by position (KEY_LENGTH), no key text"
  else
    not_ok "parse @FILE: value 2 refused by position (KEY_LENGTH), no key text" "stderr: $(cat "$tmp/err")"
  fi
fi
if run "parse @missing" 2 $wrap "$tool" parse "@$tmp/missing"; then
  if grep -q "missing: No such file or directory" "$tmp/err"; then ok "parse @missing: exit 2, the file named"
  else not_ok "parse @missing: exit 2, the file named" "stderr: $(cat "$tmp/err")"; fi
fi
if run "parse - with nothing" 2 sh -c "$wrap \"\$0\" parse - < /dev/null" "$tool"; then
  if grep -q "standard input: no a=crypto value in it" "$tmp/err"; then ok "parse - with empty input: exit 2"
  else not_ok "parse - with empty input: exit 2" "stderr: $(cat "$tmp/err")"; fi
fi

echo "1..$n"
exit $failed
