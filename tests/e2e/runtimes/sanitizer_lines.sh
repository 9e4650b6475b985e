#!/bin/sh
# What a sanitizer's report says that does not vary between runs (no
# addresses, pids or which thread it caught first): sorted, unique.
grep -oE 'ERROR: AddressSanitizer: [a-z-]+|WARNING: ThreadSanitizer: data race|ThreadSanitizer: reported [0-9]+ warnings|^before$|^counter [0-9]+$|^status [0-9]+$' | sort -u
