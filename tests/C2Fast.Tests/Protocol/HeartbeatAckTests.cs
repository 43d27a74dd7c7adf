using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using C2Fast.Protocol;

namespace C2Fast.Tests.Protocol;

public class HeartbeatAckTests
{
    [Fact]
    public void Template_IsTheSpecExample_WithTimestampAtOffset()
    {
        Assert.Equal("""{"msg_type":"heartbeat.ack","timestamp":"2024-01-01T12:00:01Z"}""", Encoding.UTF8.GetString(HeartbeatAck.Template));
        Assert.Equal(HeartbeatAck.BodyLength, HeartbeatAck.Template.Length);
        Assert.Equal("2024-01-01T12:00:01Z", Encoding.UTF8.GetString(HeartbeatAck.Template.Slice(HeartbeatAck.TimestampOffset, HeartbeatAck.TimestampLength)));
        Assert.Equal((byte)'"', HeartbeatAck.Template[HeartbeatAck.TimestampOffset + HeartbeatAck.TimestampLength]);
    }

    public static TheoryData<DateTime> Times => new()
    {
        new DateTime(2024, 1, 1, 12, 0, 1, DateTimeKind.Utc),
        new DateTime(2031, 12, 31, 23, 59, 59, 999, DateTimeKind.Utc),
        new DateTime(1999, 2, 3, 4, 5, 6, DateTimeKind.Utc),
        new DateTime(1, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        new DateTime(9999, 12, 31, 23, 59, 59, DateTimeKind.Utc),
        new DateTime(2024, 2, 29, 0, 0, 0, DateTimeKind.Unspecified),
    };

    [Theory]
    [MemberData(nameof(Times))]
    public void StampTimestamp_GivenTime_ParsesBackToThatTimeInWholeSeconds(DateTime time)
    {
        byte[] body = new byte[HeartbeatAck.BodyLength];
        HeartbeatAck.WriteTemplate(body);

        HeartbeatAck.StampTimestamp(body, time);

        using var doc = JsonDocument.Parse(body);
        Assert.Equal("heartbeat.ack", doc.RootElement.GetProperty("msg_type").GetString());
        string stamped = doc.RootElement.GetProperty("timestamp").GetString()!;
        Assert.Equal(time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), stamped);
        DateTime parsed = DateTime.ParseExact(stamped, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        Assert.Equal(new DateTime(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc), parsed);
        Assert.Equal(2, doc.RootElement.EnumerateObject().Count());
    }

    [Fact]
    public void StampTimestamp_LocalTime_ConvertedToUtc()
    {
        DateTime utc = new(2024, 6, 1, 10, 20, 30, DateTimeKind.Utc);
        byte[] body = new byte[HeartbeatAck.BodyLength];

        HeartbeatAck.Write(body, utc.ToLocalTime());

        Assert.Equal("2024-06-01T10:20:30Z", Encoding.UTF8.GetString(body, HeartbeatAck.TimestampOffset, HeartbeatAck.TimestampLength));
    }

    [Fact]
    public void StampTimestamp_RepeatedOnOneBody_OnlyTimestampBytesChange()
    {
        byte[] body = new byte[HeartbeatAck.BodyLength + 8];
        body.AsSpan().Fill(0xEE);
        HeartbeatAck.WriteTemplate(body);

        HeartbeatAck.StampTimestamp(body, new DateTime(2025, 3, 4, 5, 6, 7, DateTimeKind.Utc));
        HeartbeatAck.StampTimestamp(body, new DateTime(2026, 7, 8, 9, 10, 11, DateTimeKind.Utc));

        Assert.Equal("""{"msg_type":"heartbeat.ack","timestamp":"2026-07-08T09:10:11Z"}""", Encoding.UTF8.GetString(body, 0, HeartbeatAck.BodyLength));
        Assert.All(body[HeartbeatAck.BodyLength..], b => Assert.Equal(0xEE, b));
    }

    [Fact]
    public void Write_UtcNow_WithinAMinuteOfTheClock()
    {
        byte[] body = new byte[HeartbeatAck.BodyLength];

        HeartbeatAck.Write(body, DateTime.UtcNow);

        using var doc = JsonDocument.Parse(body);
        DateTime stamped = doc.RootElement.GetProperty("timestamp").GetDateTime();
        Assert.InRange((DateTime.UtcNow - stamped.ToUniversalTime()).TotalSeconds, -1, 60);
    }

    [Fact]
    public void StampTimestamp_BodyTooShort_Throws()
    {
        Assert.Throws<ArgumentException>(() => HeartbeatAck.StampTimestamp(new byte[HeartbeatAck.BodyLength - 1], DateTime.UtcNow));
        Assert.Throws<ArgumentException>(() => HeartbeatAck.WriteTemplate(new byte[HeartbeatAck.BodyLength - 1]));
    }

    [Fact]
    public void StampTimestamp_SteadyState_ZeroBytesAllocated()
    {
        byte[] body = new byte[HeartbeatAck.BodyLength];
        HeartbeatAck.WriteTemplate(body);

        long allocated = Measure(body);

        Assert.Equal(0, allocated);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long Measure(byte[] body)
    {
        for (int i = 0; i < 200; i++)
        {
            HeartbeatAck.StampTimestamp(body, DateTime.UtcNow);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2_000; i++)
        {
            HeartbeatAck.StampTimestamp(body, DateTime.UtcNow);
            HeartbeatAck.Write(body, DateTime.UtcNow);
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
