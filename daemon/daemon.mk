# SPDX-License-Identifier: GPL-2.0
#
# sovguardd (daemon/), sovguardctl (daemon/ctl/) and the code they share
# (daemon/lib/), linked with the policy library (daemon/policy/policy.mk).

LIBBPF_CFLAGS	:= $(shell $(PKG_CONFIG) --cflags libbpf)
LIBBPF_LIBS	:= $(shell $(PKG_CONFIG) --libs libbpf)
SYSTEMD_LIBS	:= $(shell $(PKG_CONFIG) --libs libsystemd)
JSON_CFLAGS	:= $(shell $(PKG_CONFIG) --cflags json-c)
JSON_LIBS	:= $(shell $(PKG_CONFIG) --libs json-c)

NL_CFLAGS	:= $(shell $(PKG_CONFIG) --cflags libnl-genl-3.0)
NL_LIBS		:= $(shell $(PKG_CONFIG) --libs libnl-genl-3.0)

# daemon/lib/: what both programs link. The module client (kmod_*.c) is
# also linked alone by the module's test helpers (tests/tests.mk).
SG_KMOD_CLIENT_SRCS := daemon/lib/kmod_client.c daemon/lib/kmod_names.c daemon/lib/names.c
SG_COMMON_SRCS	:= daemon/lib/util.c daemon/lib/log.c daemon/lib/config.c daemon/lib/names.c \
		   daemon/lib/kmod_client.c daemon/lib/kmod_names.c daemon/lib/hookcheck.c \
		   daemon/lib/lsm.c daemon/lib/status_json.c
SG_DAEMON_SRCS	+= daemon/sovguardd.c daemon/egress.c daemon/compile.c daemon/subject.c \
		   daemon/control.c daemon/publish.c daemon/watch.c daemon/kguard.c \
		   daemon/tamper.c daemon/guard.c daemon/observe.c daemon/dns.c daemon/links.c \
		   daemon/detector.c daemon/det_subject.c daemon/build.c daemon/events.c \
		   daemon/metrics.c daemon/answer.c daemon/quarantine.c daemon/quar_state.c \
		   daemon/flows.c $(SG_COMMON_SRCS)
# The policy compiler: compile.c above drives these steps. The differential
# test and the benchmark link the same objects (SG_COMPILE_OBJS).
SG_COMPILE_SRCS	:= daemon/compile_dst.c daemon/compile_subj.c daemon/image.c
SG_DAEMON_SRCS	+= $(SG_COMPILE_SRCS)
SG_COMPILE_OBJS	= $(patsubst daemon/%.c,$(O)/daemon/%.o,daemon/compile.c $(SG_COMPILE_SRCS))
SG_DAEMON_LIBS	+= $(SG_POLICY_LIB) $(SG_POLICY_LIBS) $(LIBBPF_LIBS) $(SYSTEMD_LIBS) $(JSON_LIBS) \
		   $(NL_LIBS)
SG_CTL_SRCS	+= daemon/ctl/sovguardctl.c daemon/ctl/status.c daemon/ctl/ctl_kmod.c daemon/ctl/kmod_json.c \
		   daemon/ctl/offline.c daemon/ctl/quarantine.c daemon/answer.c daemon/compile.c \
		   $(SG_COMPILE_SRCS) \
		   $(SG_COMMON_SRCS)
SG_CTL_LIBS	+= $(SG_POLICY_LIB) $(SG_POLICY_LIBS) $(LIBBPF_LIBS) $(SYSTEMD_LIBS) $(JSON_LIBS) \
		   $(NL_LIBS)
SG_CTL_CFLAGS	+= $(JSON_CFLAGS) $(NL_CFLAGS)

SG_DAEMON_OBJS	= $(patsubst daemon/%.c,$(O)/daemon/%.o,$(SG_DAEMON_SRCS))
SG_CTL_OBJS	= $(patsubst daemon/%.c,$(O)/daemon/%.o,$(SG_CTL_SRCS))

# Headers: each object's own list from the compiler (-MMD, DEPFLAGS); the
# generated skeletons only have to exist before the first compile.
$(O)/daemon/%.o: daemon/%.c | $(O) $(BPF_SKELS)
	$(Q)mkdir -p $(dir $@)
	@echo "  CC       $@"
	$(Q)$(CC) $(USER_CFLAGS) $(DEPFLAGS) $(LIBBPF_CFLAGS) $(SG_POLICY_CFLAGS) $(SG_CTL_CFLAGS) \
		$(SG_DAEMON_CFLAGS) -c $< -o $@

$(O)/sovguardd: $$(SG_DAEMON_OBJS) $(SG_POLICY_LIB)
	@echo "  LD       $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $(SG_DAEMON_OBJS) $(SG_DAEMON_LIBS)

$(O)/sovguardctl: $$(SG_CTL_OBJS) $(SG_POLICY_LIB)
	@echo "  LD       $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $(SG_CTL_OBJS) $(SG_CTL_LIBS)

.PHONY: daemon
daemon: $(O)/sovguardd $(O)/sovguardctl
