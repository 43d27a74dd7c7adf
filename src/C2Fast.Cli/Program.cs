// The c2fast command. Subcommands (simulate, stream, demo, bench) arrive with issues 4, 5 and 7.
Console.Error.WriteLine("c2fast: no subcommands yet (simulate, stream, demo and bench are coming).");
return 2;
