using C2Fast.Cli;

// The c2fast command: each subcommand lives in Commands/ and is registered in CliApp.
return await CliApp.CreateRootCommand().Parse(args).InvokeAsync().ConfigureAwait(false);
