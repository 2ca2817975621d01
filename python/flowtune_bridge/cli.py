"""Entry points: `python -m flowtune_bridge worker|catalog|bench|expert-check` (no argument: worker)."""


def main(argv):
    command = argv[0] if argv else "worker"
    if command == "worker":
        from .worker import main as worker_main
        return worker_main(argv[1:])
    if command == "catalog":
        from .catalog import main as catalog_main
        return catalog_main()
    if command == "bench":
        from .bench import main as bench_main
        return bench_main(argv[1:])
    if command == "expert-check":
        from .expert_check import main as expert_check_main
        return expert_check_main(argv[1:])
    print(f"unknown command {command!r}; use worker, catalog, bench or expert-check")
    return 2
