from gem_env.cli import main

main()
