"""One module per export format; each defines `FORMAT` (see ..base.ExportFormat)."""
