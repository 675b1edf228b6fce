"""Workloads from other formats: PyTorch modules (torch.fx, with a forward-hook
fallback), ONNX models, and SCALE-Sim topology files (read and written)."""
