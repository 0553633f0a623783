from level1_pipeline.cli import main
from shared.runtime import exit_quickly

if __name__ == "__main__":
    exit_quickly(main())
