"""``python -m icp_engine`` entry point."""

from .cli import app

if __name__ == "__main__":
    app(prog_name="python -m icp_engine")
