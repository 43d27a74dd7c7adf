using System.CommandLine;
using System.Globalization;

namespace C2Fast.Cli.Commands;

/// <summary>Option helpers shared by the subcommands: comma-separated lists, durations in seconds.</summary>
internal static class CliParsers
{
    /// <summary>An option taking comma-separated positive integers (<c>--strategies 101,102</c>), repeatable.</summary>
    public static Option<long[]> IdList(string name, string description) => new(name)
    {
        Description = description,
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
        DefaultValueFactory = _ => [],
        CustomParser = result =>
        {
            var ids = new List<long>();
            foreach (var token in result.Tokens)
            {
                foreach (var part in token.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id <= 0)
                    {
                        result.AddError($"{name}: '{part}' is not a positive integer id.");
                        return [];
                    }

                    ids.Add(id);
                }
            }

            return [.. ids];
        },
    };

    /// <summary>An option taking seconds, fractions allowed (<c>--heartbeat-interval 0.5</c>).</summary>
    public static Option<double> Seconds(string name, string description, double defaultSeconds, bool allowZero = false)
    {
        var option = new Option<double>(name)
        {
            Description = description + $" (seconds; default {defaultSeconds.ToString(CultureInfo.InvariantCulture)})",
            DefaultValueFactory = _ => defaultSeconds,
        };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<double>();
            if (double.IsNaN(value) || value < 0 || (value == 0 && !allowZero) || value > TimeSpan.MaxValue.TotalSeconds / 2)
            {
                result.AddError($"{name} must be {(allowZero ? "zero or more" : "more than zero")} seconds.");
            }
        });
        return option;
    }
}
