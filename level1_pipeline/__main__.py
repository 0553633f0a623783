from level1_pipeline.cli import main
from shared.runtime import exit_quickly

exit_quickly(main())
