# ptfuzz on Debian 12: set-up, build, and by default the README's main command: a short campaign
# on gup_vs_zap's buggy variant that stops at the first violation, minimizes it and prints its
# replay.
#
#   docker build -t ptfuzz .
#   docker run --rm -v "$PWD/out:/src/ptfuzz/out" ptfuzz
#
# Findings are written under out/ in the working directory (/src/ptfuzz/out: the campaign's
# corpus, logs, and each minimized reproducer in out/<scenario>-<variant>/findings/<signature>/),
# which the -v above keeps on the host after the container is gone. Any other command works too, e.g.
#   docker run --rm -v "$PWD/out:/src/ptfuzz/out" ptfuzz build/ptfuzz replay out/FILE
#
# Packages come only from scripts/setup.sh (the list the README's commands install): the base
# image has all it needs to run it (bash, dpkg-query, apt-get), so nothing is installed before it.
# tests/e2e/dockerfile_test.sh checks this, and that CMD is the README's main command.
FROM debian:12
WORKDIR /src/ptfuzz
# .dockerignore keeps build directories, out/ and .git out of the context.
COPY . .
RUN scripts/setup.sh && rm -rf /var/lib/apt/lists/* && scripts/build.sh
CMD ["build/ptfuzz", "fuzz", "--scenario=gup_vs_zap", "--variant=no_pte_recheck", "--max-time=60"]
