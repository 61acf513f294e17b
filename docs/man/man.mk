# SPDX-License-Identifier: GPL-2.0
#
# Manual pages: one source each, docs/man/<page>.<section>.scd (scdoc),
# rendered into $(O)/man/ at build time and linted by `make lint`.

MAN_SRCS	:= $(wildcard docs/man/*.scd)
MAN_PAGES	:= $(patsubst docs/man/%.scd,$(O)/man/%,$(MAN_SRCS))
SCDOC		?= scdoc

$(O)/man/%: docs/man/%.scd | $(O)
	$(Q)mkdir -p $(dir $@)
	@echo "  SCDOC    $@"
	$(Q)$(SCDOC) <$< >$@.tmp && mv $@.tmp $@

.PHONY: man lint-man
man: $(MAN_PAGES)
all: man

# groff's warnings (what man(1) shows a reader) must be none; mandoc at
# level "error": its style warnings are about the paragraph macros scdoc
# emits after every heading, which render the same.
lint-man: $(MAN_PAGES)
	@echo "  MANLINT  $(MAN_PAGES:$(O)/%=%)"
	$(Q)for p in $(MAN_PAGES); do \
		out=$$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l $$p 2>&1 >/dev/null; \
			mandoc -T lint -W error $$p 2>&1) || out="$$out (exit status $$?)"; \
		[ -z "$$out" ] || { echo "$$p: $$out" >&2; exit 1; }; \
	done
lint: lint-man
