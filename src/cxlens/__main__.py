from cxlens.cli import main

main()
