from runstone.cli import main

main()
