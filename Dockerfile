# ptfuzz on Debian 12: set-up (scripts/setup.sh, the same packages the README's commands install),
# build, and by default the README's main command: a short campaign on gup_vs_zap's buggy variant
# that stops at the first violation, minimizes it and prints its replay.
FROM debian:12
RUN apt-get update -q && apt-get install -y -q --no-install-recommends ca-certificates git \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src/ptfuzz
COPY . .
RUN scripts/setup.sh && scripts/build.sh
CMD ["build/ptfuzz", "fuzz", "--scenario=gup_vs_zap", "--variant=no_pte_recheck", "--max-time=60"]
