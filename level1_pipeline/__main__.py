import sys

from level1_pipeline.cli import main

sys.exit(main())
