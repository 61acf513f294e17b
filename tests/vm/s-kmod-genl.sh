#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The genetlink kselftest (tests/kmod/genl_test.c) once more under systemd
# as PID 1: there the guest's root is a real root, not a chroot, so the
# user-namespace case runs instead of being skipped.
exec "${SG_BUILD:?}/tests/vm/kmod_genl"
