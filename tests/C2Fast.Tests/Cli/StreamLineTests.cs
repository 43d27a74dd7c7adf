using System.Text;
using System.Text.Json;
using C2Fast.Cli.Commands;

namespace C2Fast.Tests.Cli;

/// <summary>
/// <c>c2fast stream</c> prints one message per line. Adversarial finding: a signal with a line break between its
/// tokens was printed as two lines, and a trailing line break added an empty line.
/// </summary>
public class StreamLineTests
{
    [Theory]
    [InlineData("{\"msg_type\":\"strategy.signal\",\n\"id\":\"msg_s3\",\"seq_id\":3,\"payload\":{\"strategy_id\":101,\"symbol\":\"AAPL\"}}")]
    [InlineData("{\"msg_type\":\"strategy.signal\",\"seq_id\":3}\n")]
    [InlineData("\r\n{ \"a\" :\r\n\t\"x\\ny\" ,\n\n\"b\":[1,\r2]}\r\n")]
    [InlineData("{\"msg_type\":\"strategy.signal\",\"seq_id\":3}")]
    public void WriteLine_LineBreaksBetweenTokens_OneLineOfTheSameJson(string json)
    {
        byte[] input = Encoding.UTF8.GetBytes(json);
        using var output = new MemoryStream();

        StreamCommand.WriteLine(output, input);

        byte[] line = output.ToArray();
        Assert.Equal((byte)'\n', line[^1]);
        Assert.DoesNotContain((byte)'\n', line[..^1]);
        Assert.DoesNotContain((byte)'\r', line);
        Assert.Equal(input.Where(b => b is not ((byte)'\n' or (byte)'\r')).ToArray(), line[..^1]); // nothing else changed
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(input).RootElement, JsonDocument.Parse(line).RootElement));
    }
}
