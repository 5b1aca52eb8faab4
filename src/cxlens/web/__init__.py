"""The dashboard, the API and the survey forms of ``cxlens serve`` (FastAPI).

Importing this package loads nothing heavy; ``cxlens.web.app`` builds the application.
"""
