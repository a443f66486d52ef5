"""``python -m icp_engine`` entry point."""

from .cli import main

if __name__ == "__main__":
    main(prog_name="python -m icp_engine")
