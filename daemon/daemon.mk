# SPDX-License-Identifier: GPL-2.0
#
# sovguardd and sovguardctl. Other fragments add their sources and flags to
# SG_DAEMON_* and SG_CTL_* (the module client, the policy library).

LIBBPF_CFLAGS	:= $(shell $(PKG_CONFIG) --cflags libbpf)
LIBBPF_LIBS	:= $(shell $(PKG_CONFIG) --libs libbpf)
SYSTEMD_LIBS	:= $(shell $(PKG_CONFIG) --libs libsystemd)
JSON_CFLAGS	:= $(shell $(PKG_CONFIG) --cflags json-c)
JSON_LIBS	:= $(shell $(PKG_CONFIG) --libs json-c)

SG_COMMON_SRCS	:= daemon/util.c daemon/log.c daemon/config.c
SG_DAEMON_SRCS	+= daemon/sovguardd.c daemon/egress.c daemon/compile.c daemon/subject.c \
		   daemon/control.c daemon/publish.c daemon/watch.c daemon/kguard.c \
		   daemon/observe.c daemon/dns.c \
		   $(SG_COMMON_SRCS)
# The policy compiler: compile.c above drives these steps. The differential
# test and the benchmark link the same objects (SG_COMPILE_OBJS).
SG_COMPILE_SRCS	:= daemon/compile_dst.c daemon/compile_subj.c daemon/image.c
SG_DAEMON_SRCS	+= $(SG_COMPILE_SRCS)
SG_COMPILE_OBJS	= $(patsubst daemon/%.c,$(O)/daemon/%.o,daemon/compile.c $(SG_COMPILE_SRCS))
SG_DAEMON_LIBS	+= $(SG_POLICY_LIB) $(SG_POLICY_LIBS) $(LIBBPF_LIBS) $(SYSTEMD_LIBS) $(JSON_LIBS)
SG_CTL_SRCS	+= daemon/sovguardctl.c $(SG_COMMON_SRCS)
SG_CTL_LIBS	+= $(SG_POLICY_LIB) $(SG_POLICY_LIBS) $(LIBBPF_LIBS) $(SYSTEMD_LIBS) $(JSON_LIBS)
SG_CTL_CFLAGS	+= $(JSON_CFLAGS)

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
