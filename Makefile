# A thin layer over CMake. `make run` and `make test` are the README's two commands:
# each installs the Debian packages it needs (as root), configures, builds and goes.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS       ?= $(shell nproc)
DEBS       := gcc make cmake pkg-config libuv1-dev libjansson-dev libsystemd-dev libcmocka-dev \
              valgrind man-db systemd $(EXTRA_DEBS)
CMAKE_ARGS ?=

.PHONY: all deps build run test asan memcheck fuzz bench soak format format-check install clean lint

all: build

deps:
	@missing=$$(for p in $(DEBS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
	    grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" != 0 ]; then \
	        echo "missing Debian packages:" $$missing "- run as root, or: apt-get install" $$missing; \
	        exit 1; \
	    fi; \
	    echo "installing:" $$missing; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	        --no-install-recommends $$missing; \
	fi

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DNETBROKER_WERROR=ON $(CMAKE_ARGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/daemon/netbrokerd $(ARGS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer.
asan: deps
	cmake -S . -B $(ASAN_BUILD) -DNETBROKER_WERROR=ON -DNETBROKER_SANITIZE=address,undefined \
	    -DCMAKE_BUILD_TYPE=Debug $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

# The unit and net tests under valgrind: any leak or invalid access fails.
memcheck: build
	ctest --test-dir $(BUILD) -L 'unit|net' --output-on-failure -T memcheck \
	    --overwrite MemoryCheckCommandOptions="--leak-check=full --error-exitcode=1 --errors-for-leak-kinds=definite,indirect"

# The libFuzzer targets of tests/fuzz, FUZZ_SECONDS each, in a clang build of their own.
# clang and libFuzzer's runtime (libclang-rt-14-dev) are installed here, not by every build.
fuzz:
	$(MAKE) deps EXTRA_DEBS="$(EXTRA_DEBS) clang libclang-rt-14-dev"
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DNETBROKER_WERROR=ON -DNETBROKER_FUZZ=ON \
	    -DBUILD_TESTING=OFF $(CMAKE_ARGS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_all
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: build
	tests/bench/run.sh $(BUILD)
	tests/bench/echo.sh $(BUILD)

# The soak of tests/daemon/test_daemon_load.c for SOAK_SECONDS (ctest runs it for 30),
# its figures on stderr.
SOAK_SECONDS ?= 300
soak: build
	NB_SOAK_SECONDS=$(SOAK_SECONDS) $(BUILD)/tests/daemon/test_daemon_load soak

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

install: build
	cmake --install $(BUILD)

# Static checks over libnetcore/, proto/, client/ and daemon/ (README.md "Static checks"):
# clang-tidy with the checked-in .clang-tidy, then cppcheck, both from the build's
# compile_commands.json; any finding fails. Their packages are installed here only.
LINT_DEBS := clang-tidy cppcheck
LINT_DIRS := $(CURDIR)/(libnetcore|proto|client|daemon)/.*\.c$$
lint: build
	$(MAKE) deps EXTRA_DEBS="$(EXTRA_DEBS) $(LINT_DEBS)"
	run-clang-tidy -p $(BUILD) -j $(JOBS) -quiet '$(LINT_DIRS)' >$(BUILD)/clang-tidy.log 2>&1 || \
	    { sed 's/\x1b\[[0-9;]*m//g' $(BUILD)/clang-tidy.log | grep -E '(warning|error):' | sort -u; exit 1; }
	cppcheck -q --project=$(BUILD)/compile_commands.json -itests/ -j $(JOBS) \
	    --enable=warning,performance,portability --error-exitcode=1 --inline-suppr

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
