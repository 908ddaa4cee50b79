// What /proc says of a process's threads, for the tests that check who runs at which priority.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace test_proc {

// The nice value of each thread of `pid`, by thread id: field 19 of /proc/PID/task/TID/stat,
// counted after the command's closing parenthesis (a command may hold spaces).
inline std::map<pid_t, int> thread_nice(pid_t pid) {
    std::map<pid_t, int> nice;
    for (const auto& entry :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
        std::ifstream stat(entry.path() / "stat");
        std::string line;
        if (!std::getline(stat, line) || line.rfind(')') == std::string::npos) continue;
        std::istringstream fields(line.substr(line.rfind(')') + 2));
        std::string field;
        for (int i = 3; i <= 19 && fields >> field; ++i)
            if (i == 19) nice[std::stoi(entry.path().filename().string())] = std::stoi(field);
    }
    return nice;
}

}  // namespace test_proc
