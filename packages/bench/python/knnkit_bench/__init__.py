"""knnkit's comparison harness (Python side): peers timed in Python, knnkit in its Node engine."""
