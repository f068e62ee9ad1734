"""Using a trained model: prediction through pipeline(), batch inference, ONNX, the command line."""
