import FlowTuneCLI

FlowTuneCommand.main()
