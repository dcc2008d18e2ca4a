# ig - themed image assets through Unix filters.  GNU make.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
PKG_CONFIG ?= pkg-config

CFLAGS ?= -g -O2
# objects go under BUILD, commands under BIN: the sanitizer build keeps its own
BUILD ?= build
BIN ?= bin
override CFLAGS += $(SANITIZE) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-MMD -MP -Ilib $(shell $(PKG_CONFIG) --cflags lmdb libxxhash libpng libcurl libcrypto zlib libjpeg sqlite3 libpq libisal oniguruma)
# every command links the same list; --as-needed keeps only what it uses,
# since a filter that starts often must not load curl and OpenSSL for nothing
override LDFLAGS += -Wl,--as-needed $(SANITIZE)
LDLIBS = $(shell $(PKG_CONFIG) --libs lmdb libxxhash libpng libcurl libcrypto zlib libjpeg sqlite3 libpq libisal oniguruma) -ljq -lm -lpthread

CMDS = ig-record ig-query ig-hash ig-plan ig-gen ig-grid ig-sql ig-sheet
GENERATED = lib/model_data.c lib/models_data.c lib/gallery_data.c
LIB_SRCS = $(filter-out $(GENERATED),$(wildcard lib/*.c)) $(GENERATED)
LIB_OBJS = $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRCS))
MODEL = $(sort $(wildcard db/model/*.json))
MANS = $(wildcard man/*.1 man/*.7)

all: $(addprefix $(BIN)/,$(CMDS))

$(BIN)/%: $(BUILD)/cmd/%.o $(BUILD)/libig.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libig.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

# the PNG row filters are loops over bytes that -O3 turns into vector code
$(BUILD)/lib/pngenc.o: override CFLAGS += -O3

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# the model, embedded: one C string holding a JSON array of db/model/*.json
lib/model_data.c: $(MODEL) Makefile
	{ echo '/* generated from db/model by make: do not edit */'; \
	  echo 'const char ig_model_json[] = "["'; sep=''; \
	  for f in $(MODEL); do \
	    [ -n "$$sep" ] && echo '","'; sep=1; \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $$f; \
	  done; echo '"]";'; } >$@.tmp && mv $@.tmp $@

# the image models' facts, embedded the same way
lib/models_data.c: db/models.json Makefile
	{ echo '/* generated from db/models.json by make: do not edit */'; \
	  echo 'const char ig_models_json[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' db/models.json; \
	  echo ';'; } >$@.tmp && mv $@.tmp $@

# the gallery's page (HTML, its stylesheet and script), embedded the same way
lib/gallery_data.c: lib/gallery.html Makefile
	{ echo '/* generated from lib/gallery.html by make: do not edit */'; \
	  echo 'const char ig_gallery_html[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' lib/gallery.html; \
	  echo ';'; } >$@.tmp && mv $@.tmp $@

# Fuzz harnesses (tests/fuzz/fuzz-*.c), linked two ways: with a plain
# driver (FUZZ_MAIN) under the build's own compiler, so that the suite runs
# every seed and finding through them; and by `make fuzz` with clang's
# libFuzzer, under ASan and UBSan, for FUZZ_TIME seconds each.
FUZZERS = $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz-*.c))
FUZZ_MAIN = $(BUILD)/tests/fuzz/driver.o
FUZZ_TIME ?= 60

fuzz-drivers: $(addprefix $(BUILD)/fuzz/,$(FUZZERS))

$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/%.o $(FUZZ_MAIN) $(BUILD)/libig.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

fuzz:
	$(MAKE) CC=clang BUILD=build/libfuzzer FUZZ_MAIN= \
		SANITIZE="-fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		fuzz-drivers
	tests/fuzz/run build/libfuzzer/fuzz $(FUZZ_TIME) $(FUZZERS)

test: all fuzz-drivers
	tests/run

# the whole suite again under AddressSanitizer and UBSan, in a build of its own
check-asan:
	$(MAKE) BUILD=build/asan BIN=build/asan/bin \
		SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" all fuzz-drivers
	IG_BIN=$(CURDIR)/build/asan/bin IG_FUZZ_BIN=$(CURDIR)/build/asan/fuzz ASAN_OPTIONS=detect_leaks=1 tests/run

lint-man:
	mandoc -Tlint -Wwarning $(MANS)

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m0755 $(addprefix $(BIN)/,$(CMDS)) $(DESTDIR)$(BINDIR)
	install -m0644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1
	install -m0644 $(wildcard man/*.7) $(DESTDIR)$(MANDIR)/man7

clean:
	rm -rf $(BUILD) $(BIN) $(GENERATED)

.PHONY: all test check-asan lint-man install clean fuzz fuzz-drivers
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
.SECONDARY:
