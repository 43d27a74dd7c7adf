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

    /// <summary>
    /// An option taking a duration: a number with an optional unit, <c>s</c> (the default), <c>m</c> or <c>h</c>
    /// (<c>--duration 1h</c>, <c>600s</c>, <c>90m</c>, <c>2.5</c>). Null when not given.
    /// </summary>
    public static Option<TimeSpan?> Duration(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (TryParseDuration(text, out TimeSpan value))
            {
                return value;
            }

            result.AddError($"{name}: '{text}' is not a duration (a positive number with an optional unit s, m or h: 600s, 10m, 1h).");
            return null;
        },
    };

    /// <summary>Parses <c>600</c>, <c>600s</c>, <c>10m</c>, <c>1h</c>, <c>0.5h</c>; false for anything else, zero, negative or absurdly long.</summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        string trimmed = (text ?? "").Trim().ToLowerInvariant();
        double unit = 1;
        if (trimmed.EndsWith('h'))
        {
            unit = 3600;
            trimmed = trimmed[..^1];
        }
        else if (trimmed.EndsWith('m'))
        {
            unit = 60;
            trimmed = trimmed[..^1];
        }
        else if (trimmed.EndsWith('s'))
        {
            trimmed = trimmed[..^1];
        }

        if (!double.TryParse(trimmed, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number) || number <= 0
            || number * unit > TimeSpan.FromDays(30).TotalSeconds)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(number * unit);
        return true;
    }
}
