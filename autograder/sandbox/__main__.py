import sys

from autograder.sandbox.launcher import main

sys.exit(main())
