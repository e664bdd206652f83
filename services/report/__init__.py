"""The Reference Group's meeting pack: its content (pack.py), as a workbook (xlsx.py) and as
a document (pdf.py)."""
