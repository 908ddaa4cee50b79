-- wrk script for bench/serve_bench.sh.
--
-- Without BENCH_PATHS in the environment, every request is the command line's URL, sent as
-- wrk's prebuilt static request (no Lua runs per request). With BENCH_PATHS=FILE, the requests
-- are the paths of FILE, one a line, in turn and round and round; each of the BENCH_THREADS
-- threads starts at its own share of the list, so the threads do not request the same tile at
-- the same moment.
--
-- done() prints one RESULT line that the script parses: requests, duration, bytes, errors
-- (status >= 400 and socket errors) and latency in microseconds.

local paths_file = os.getenv("BENCH_PATHS")
local thread_count = 0

function setup(thread)
    thread:set("id", thread_count)
    thread_count = thread_count + 1
end

if paths_file then
    local paths = {}
    local next_index = 0

    function init(args)
        for line in io.lines(paths_file) do
            if #line > 0 then paths[#paths + 1] = line end
        end
        local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
        next_index = (id * math.floor(#paths / threads)) % #paths
    end

    function request()
        next_index = next_index % #paths + 1
        return wrk.format(nil, paths[next_index])
    end
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "RESULT requests=%d duration_us=%d bytes=%d status_errors=%d socket_errors=%d " ..
        "mean_us=%.0f p50_us=%d p99_us=%d\n",
        summary.requests, summary.duration, summary.bytes, e.status,
        e.connect + e.read + e.write + e.timeout,
        latency.mean, latency:percentile(50), latency:percentile(99)))
end
