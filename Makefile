# mlops-levels: one command vocabulary for people, CI and hooks. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
UV := .tools/uv/bin/uv
PY := .venv/bin/python
RUN := $(UV) run --frozen --no-sync
# Test files run in parallel processes, the heaviest first (tests/conftest.py); a file stays in one process.
PYTEST_PARALLEL ?= -n 3 --dist loadfile --no-loadscope-reorder

# No telemetry, quiet bars, state kept in the project (entry points set the same defaults).
export MLFLOW_DISABLE_TELEMETRY ?= true
export MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR ?= false
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 90
export GX_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK ?= 1
export ITERATIVE_DO_NOT_TRACK ?= 1
export UV_COMPILE_BYTECODE := 1
# The project's servers listen on loopback: a proxy set for the outside world (a corporate laptop) must not carry them.
comma := ,
export NO_PROXY := 127.0.0.1,localhost,::1$(if $(NO_PROXY),$(comma)$(NO_PROXY))
export no_proxy := 127.0.0.1,localhost,::1$(if $(no_proxy),$(comma)$(no_proxy))

.PHONY: help setup settings system-packages supply-chain audit lint format test test-fast test-workshop test-fork upstream-check template-update calibrate bench-suite reset purge-log stack-up stack-down stack-status stack-env drill level0 level1 sweep level1-serve level1-trigger level1-rollback approve reject prefect-server mlflow-ui bench-level1 bench-guide bench-kit bench-sweep bench-serving serve level2 replay monitor monitor-serve dashboard retrain batch-data batch-score bench-batch docker-build deploy compare compare-quick kit checkpoint notebook maturity-map assess assess-template assess-self assess-room doctor

##@ Start here

help: ## List the targets by what they are for (start here: the first group)
	@awk 'BEGIN {FS = ":.*## "} /^##@ / {printf "\n%s\n", substr($$0, 5)} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# A workshop kit (`make kit`) installs everything with no network: KIT=path once, then remembered (.tools/kit-path).
ifneq ($(origin KIT),command line)
KIT := $(shell cat .tools/kit-path 2>/dev/null)
endif
FROM_KIT = python3 workshop/kit_install.py "$(KIT)"

$(UV):
	@python3 deploy/doctor.py --before setup
	@echo "installing uv $(UV_VERSION) into .tools/ (project-local$(if $(KIT), from the workshop kit))"
	$(if $(KIT),$(FROM_KIT) --uv,python3 -m pip install --quiet --disable-pip-version-check --target .tools/uv "uv==$(UV_VERSION)")

# The base dependencies first (level 0 and the service need no more: a first result in a minute), then the rest.
.venv/.base: $(UV) pyproject.toml uv.lock
	$(if $(KIT),$(FROM_KIT) --base,$(UV) sync --frozen --compile-bytecode --no-default-groups --inexact)
	@touch $@

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(if $(KIT),$(FROM_KIT),$(UV) sync --frozen --compile-bytecode --all-extras)
	@touch $@ .venv/.base

setup: .venv/.synced ## Install uv if missing and the locked environment with every extra (.venv); KIT=path: from a workshop kit, offline

doctor: ## Check in seconds what the commands need (Python, disk, environment, PostgreSQL, browsers, ports, settings, a running stack)
	@python3 deploy/doctor.py

level0: .venv/.base ## Level 0: run the manual notebook-style script; writes a hand-off model file
	$(RUN) python -m level0_manual.notebook

level1: setup ## Level 1: run the training pipeline once on embedded defaults (SQLite MLflow, local Prefect)
	$(RUN) python -m level1_pipeline run

level2: setup ## Level 2: train, serve, replay drifting traffic, monitor, retrain automatically, swap (a few minutes)
	$(RUN) python -m level2_cicd.loop

WORKERS ?= 1
serve: setup ## Level 2: serve the registry's champion on 127.0.0.1:8000 (WORKERS=N for N processes; `make level1` first)
	$(RUN) python -m level2_cicd.service --host 127.0.0.1 --port 8000 --workers $(WORKERS)

mlflow-ui: setup ## Open the MLflow UI on 127.0.0.1:5000 (PORT= another) over the settings' tracking store; a taken port is an error
	$(RUN) python -m deploy.ui mlflow $(PORT)

test: setup system-packages ## Run the test suite, real servers included (installs what it needs; groups in parallel; docs/benchmarks.md); MARKERS="not churn": a fork's generic tests
	$(RUN) pytest $(PYTEST_PARALLEL) -m "not walk and not fork$(if $(MARKERS), and ($(MARKERS)))" $(ARGS)

settings: setup ## Print every setting in force and its layer (default < config/settings.yaml < .env < environment)
	$(RUN) python -m shared.settings_report

reset: setup ## Remove the generated state the commands made (state/: MLflow, Prefect, logs, reports, the stack's data), listing each; anything else there is kept
	$(RUN) python -m deploy.reset

##@ Level 1: the pipeline

sweep: setup ## Level 1: trials of config/sweep_space.yaml in parallel on Dask (MLOPS_DASK_ADDRESS or local); the best goes through the gates
	$(RUN) python -m level1_pipeline sweep $(ARGS)

level1-serve: setup ## Level 1: serve the training flow as a Prefect deployment on a daily cron (Ctrl-C stops)
	$(RUN) python -m level1_pipeline serve

level1-trigger: setup ## Level 1: trigger one run of the served deployment (needs PREFECT_API_URL of a server)
	$(RUN) python -m level1_pipeline trigger

level1-rollback: setup ## Level 1: point the `champion` alias back at `previous`
	$(RUN) python -m level1_pipeline rollback

approve: setup ## Sign-off: promote VERSION=N that waits for approval (REASON="..."); training_policy release: approval
	$(RUN) python -m level1_pipeline approve --version $(VERSION) --reason "$(REASON)"

reject: setup ## Sign-off: keep VERSION=N out (REASON="..."); the champion stays
	$(RUN) python -m level1_pipeline reject --version $(VERSION) --reason "$(REASON)"

prefect-server: setup ## Start a local Prefect server on 127.0.0.1:4200 (PORT= another) with state in state/prefect
	$(RUN) python -m deploy.ui prefect $(PORT)

##@ Level 2: serve, monitor, retrain

replay: setup ## Level 2: send the data source's days FROM..TO (dates) through the running service, then the labels that arrived
	$(RUN) python -m level2_cicd.replay $(if $(FROM),--from $(FROM),) $(if $(TO),--to $(TO),) $(if $(URL),--url $(URL),)

monitor: setup ## Level 2: monitor one day (DAY=YYYY-MM-DD or a day number; default the source's newest); retrains if the policy says so
	$(RUN) python -m level2_cicd.monitoring run $(if $(DAY),--day $(DAY),)

monitor-serve: setup ## Level 2: serve the monitoring flow as a Prefect deployment on a daily cron
	$(RUN) python -m level2_cicd.monitoring serve

dashboard: setup ## Level 2: live monitoring dashboard (Evidently UI) on 127.0.0.1:8085 over the monitored windows
	$(RUN) python -m level2_cicd.monitoring dashboard $(ARGS)

retrain: setup ## Train on the newest labelled window (or the monitor's: MONITOR_DAY, LAST_DAY, DAYS); gates decide (retrain.yml)
	$(if $(MONITOR_DAY),$(RUN) python -m level2_cicd.monitoring retrain --day $(MONITOR_DAY) --last-day $(LAST_DAY) --days $(DAYS),$(RUN) python -m level1_pipeline run)

ROWS ?= 1000000
batch-data: setup ## Level 2: write ROWS simulated rows as partitioned Parquet (state/batch/input, or OUTPUT=folder)
	$(RUN) python -m level2_cicd.batch data --rows $(ROWS) $(if $(OUTPUT),--output $(OUTPUT),)

batch-score: setup ## Level 2: score partitioned Parquet on Dask with the champion (INPUT=, OUTPUT=, VERSION=); scores go to the prediction log
	$(RUN) python -m level2_cicd.batch score $(if $(INPUT),--input $(INPUT),) $(if $(OUTPUT),--output $(OUTPUT),) $(if $(VERSION),--version $(VERSION),)

purge-log: setup ## Delete prediction-log rows older than config/data_policy.yaml allows (in batches)
	$(RUN) python -m level2_cicd.service.retention

##@ Production: the stack and its deployments

stack-up: setup ## Production topology as supervised local processes (PostgreSQL, MLflow, Prefect + worker, service, Dask); ports kept
	@python3 deploy/doctor.py --before stack-up
	$(RUN) python -m deploy.stack up

stack-down: setup ## Stop every process of the stack (state/stack/ is kept)
	$(RUN) python -m deploy.stack down

stack-status: setup ## Which servers of the stack answer, and each process's state and uptime (restarts)
	$(RUN) python -m deploy.stack status

drill: setup ## On a running stack: cause an alert's fault, time it to the receiver and back (NAME="service-down flow-failed postgres-hung mlflow-down drifted-traffic", or the long error-burst latency; ARGS=--write)
	$(RUN) python -m deploy.drill $(or $(NAME),$(error NAME= one or more of: service-down flow-failed postgres-hung mlflow-down drifted-traffic error-burst latency)) $(ARGS)

stack-env: setup ## Print the exports that point make targets at the stack: eval "$$(make -s stack-env)"
	@$(RUN) python -m deploy.stack env

deploy: setup ## Register the Prefect deployments of prefect.yaml, creating the work pool if missing (needs PREFECT_API_URL)
	$(RUN) python -m deploy.prefect_deploy

IMAGE ?= mlops-levels-service:local
docker-build: ## Build the prediction service's container image (needs a Docker engine)
	docker build -t $(IMAGE) .

##@ Workshop

compare: setup ## Workshops: live one drifting world with levels 0, 1 and 2; table, chart and report (a few minutes)
	$(RUN) python -m workshop.compare $(ARGS)

kit: setup ## Workshops: one archive that installs a room with no network (OUT=folder; ARGS="--platforms ... --pythons ...")
	$(RUN) python -m workshop.make_kit $(or $(OUT),$(error OUT=folder: where to write the kit)) $(ARGS)

checkpoint: setup ## Workshops: rejoin at exercise N of the guide (N=1-5): its starting state; what it replaces is moved aside
	$(RUN) python -m workshop.checkpoint $(or $(N),$(error N=1-5: the exercise to start))

compare-quick: setup ## Workshops: the same comparison, workshop-sized (20 days, under two minutes)
	$(RUN) python -m workshop.compare --quick $(ARGS)

notebook: setup ## Workshops: open level 0 as a notebook in Jupyter on 127.0.0.1:8888 (edits saved to the .py; ARGS="--no-browser")
	$(RUN) python -m workshop.notebook $(ARGS)

assess: setup ## Where does my team stand? The seed's maturity models and the ML Test Score (ANSWERS=file to read; SHORT=1 TEAM=name: a room's opening)
	$(RUN) python -m workshop.assess $(if $(ANSWERS),answers $(ANSWERS),ask $(if $(SHORT),--short) $(if $(TEAM),--team $(TEAM)))

assess-template: setup ## Write an answers file to fill in (OUT=team.yaml), then make assess ANSWERS=team.yaml
	$(RUN) python -m workshop.assess template $(or $(OUT),team-assessment.yaml)

assess-room: setup ## Workshops: summarise a room's answer files (DIR=answers/) in one table and chart per model
	$(RUN) python -m workshop.assess room $(DIR)

assess-self: setup ## This project scored on the ML Test Score at levels 0, 1 and 2, from the evidence in docs/ml-test-score.yaml
	$(RUN) python -m workshop.assess self

maturity-map: setup ## Render docs/maturity-map.md from docs/maturity-map.yaml (the seed's cells, the code and tests that show them)
	$(RUN) python -m workshop.maturity_map

##@ Your fork

calibrate: setup ## A fork: size every threshold of config/ from your data (ARGS=--dry-run to only print); review with git diff config/
	$(RUN) python -m deploy.calibrate $(ARGS)

template-update: ## A fork: merge the template's newer commits, keeping your config/ files (TEMPLATE=its URL or path the first time; BRANCH=main)
	python3 deploy/template_update.py $(if $(TEMPLATE),--template "$(TEMPLATE)",) $(if $(BRANCH),--branch "$(BRANCH)",)

##@ Development

lint: setup ## Lint, format check, type check, lock check
	$(UV) lock --check
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy

format: setup ## Apply ruff's fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

test-fast: setup ## The edit loop: pure logic and in-process tests only (no servers, no subprocesses; <= 60 s)
	$(RUN) pytest -m "not slow and not stack" -n 2 --dist loadfile $(ARGS)

test-workshop: setup system-packages ## The long walks (CI runs them): the workshop guide command by command, the three-level comparison
	$(RUN) pytest -n 2 --dist loadfile -m walk $(ARGS)

test-fork: setup system-packages ## A fork of another shape made from this checkout: levels 0-2 on its own files, then the README's step-6 test command run whole in it (CI)
	$(RUN) pytest -m fork tests/fork $(ARGS)
	$(RUN) python -m tests.fork.another_shape $(DIR)

supply-chain: setup ## Secret scan of git's files (against .secrets.baseline) and the service's SBOM (CycloneDX: OUT=folder, default state/supply-chain)
	$(RUN) python -m deploy.supply_chain check --uv $(UV) $(if $(OUT),--out "$(OUT)",)

audit: setup ## Vulnerability audit of every package of uv.lock (pip-audit; needs PyPI's JSON API or OSV: CI's audit.yml runs it)
	$(RUN) python -m deploy.supply_chain audit --uv $(UV)

system-packages: ## Install Debian's Prometheus, Alertmanager and Chromium when missing and possible (as root); else say how
	@bash deploy/system-packages.sh

upstream-check: setup system-packages ## Re-resolve uv.lock to the newest allowed versions (here, not committed), report what moved, lint and test on them
	@mkdir -p state/upstream
	cp uv.lock state/upstream/uv.lock.before
	$(UV) lock --upgrade
	$(UV) run --frozen --no-sync python -m deploy.upstream state/upstream/uv.lock.before uv.lock --out state/upstream/versions.md
	@echo "uv.lock now holds the newest versions: 'git checkout uv.lock' goes back, committing it moves the lock (docs/upkeep.md)"
	$(MAKE) lint test
	$(MAKE) test-workshop ARGS="$(subst junit.xml,junit-workshop.xml,$(ARGS))"

bench-suite: setup system-packages ## Time `make test-fast`, `make test` and `make test-workshop` as a user runs them; append to docs/benchmarks.md
	$(RUN) python -m bench.suite_timing --write

bench-level1: setup ## Benchmark `make level1` against `make level0` and append the figures to docs/benchmarks.md
	$(RUN) python -m bench.level1_timing --write

bench-guide: setup ## Time every command of the workshop guide in its order; append to docs/benchmarks.md (ARGS=--long adds compare, test-workshop)
	$(RUN) python -m bench.guide_times --write $(ARGS)

bench-kit: setup ## Time a room from the workshop kit with no network: clone -> level 0's result, clone -> level 1's champion; append to docs/benchmarks.md
	$(RUN) python -m bench.kit_times --write

bench-sweep: setup ## Benchmark a sweep's trials on a local Dask cluster of 1 and 2 workers; append to docs/benchmarks.md
	$(RUN) python -m bench.sweep --write $(ARGS)

bench-serving: setup ## Benchmark the level 2 service against `mlflow models serve` (needs Debian's wrk)
	$(RUN) python -m bench.serving --write $(if $(POSTGRES),--postgres $(POSTGRES),)

bench-batch: setup ## Benchmark batch scoring on Dask (2 workers) against one pyfunc process at 1M/4M/10M rows; append to docs/benchmarks.md
	$(RUN) python -m bench.batch --write $(ARGS)
