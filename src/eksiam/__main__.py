from eksiam.cli import main

main()
