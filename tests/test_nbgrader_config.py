"""nbgrader_config.py: the stderr filter that keeps TensorFlow's logging from zeroing test cells."""
import re
import runpy
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


class Config(dict):
    def __getattr__(self, key):
        return self.setdefault(key, Config())

    def __setattr__(self, key, value):
        self[key] = value


@pytest.fixture(scope="module")
def config():
    c = Config()
    runpy.run_path(str(REPO / "nbgrader_config.py"), {"get_config": lambda: c})
    return c


@pytest.mark.parametrize("stderr", [
    "I0000 00:00:1795314589.378212    1792 port.cc:153] oneDNN custom operations are on.\n",
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "E0000 00:00:1795314589.412747    1792 node_def_util.cc:682] NodeDef mentions attribute\n",
    "/x/keras/src/layers/core/input_layer.py:27: UserWarning: Argument `input_shape` is deprecated.\n"
    "  warnings.warn(\n",
    "WARNING:absl:You are saving your model as an HDF5 file\n",
    "WARNING:tensorflow:5 out of the last 5 calls to <function> triggered tf.function retracing.\n",
])
def test_tensorflow_logging_is_dropped(config, stderr):
    assert config.IgnorePattern.enabled and re.search(config.IgnorePattern.pattern, stderr)


@pytest.mark.parametrize("stderr", [
    "Traceback (most recent call last):\n",
    "my own debug print\n",
    "I0000 00:00:1.1    1 port.cc:1] oneDNN\nand then something a student wrote\n",
])
def test_other_stderr_output_is_kept(config, stderr):
    assert not re.search(config.IgnorePattern.pattern, stderr)


def test_generated_folders_are_not_course_files(config):
    assert {"data", "labs", "predictions", "models"} <= set(config.CourseDirectory.ignore)
