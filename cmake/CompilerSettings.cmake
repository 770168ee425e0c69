# Compiler and build settings shared by every Ordinaut target.
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
    set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
    set(CMAKE_CXX_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
endif()

option(ORDINAUT_WERROR "Treat warnings as errors" OFF)
option(ORDINAUT_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)

add_compile_options(-Wall -Wextra -Wpedantic)
if(ORDINAUT_WERROR)
    add_compile_options(-Werror)
endif()
if(ORDINAUT_SANITIZE)
    add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                        -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
endif()

# Qt habits (qBittorrent's CommonConfig): no implicit ASCII casts, narrowing-safe connects,
# QStringBuilder for concatenation.
add_compile_definitions(
    QT_NO_CAST_FROM_ASCII
    QT_NO_NARROWING_CONVERSIONS_IN_CONNECT
    QT_USE_QSTRINGBUILDER
    QT_NO_URL_CAST_FROM_STRING
    QT_NO_FOREACH)

# The executables allocate with gperftools' tcmalloc where it is installed: the engine makes
# many small, short-lived allocations on several threads (statements, JSON, events), and the
# C library's allocator was a fifth of the database writer's time. Not under the sanitizers,
# which bring their own allocator.
option(ORDINAUT_TCMALLOC "Link the executables with tcmalloc when it is installed" ON)
if(ORDINAUT_TCMALLOC AND NOT ORDINAUT_SANITIZE)
    find_package(PkgConfig QUIET)
    if(PkgConfig_FOUND)
        pkg_check_modules(ORDINAUT_TCMALLOC_PC QUIET IMPORTED_TARGET GLOBAL libtcmalloc_minimal)
    endif()
    if(TARGET PkgConfig::ORDINAUT_TCMALLOC_PC)
        message(STATUS "Allocator: tcmalloc ${ORDINAUT_TCMALLOC_PC_VERSION}")
    else()
        message(STATUS "Allocator: the C library's (tcmalloc not found)")
    endif()
endif()

# Links `target` with the faster allocator when there is one. Nothing calls it by name, so it
# is kept on the link line even where the linker drops unreferenced libraries.
function(ordinaut_use_fast_allocator target)
    if(TARGET PkgConfig::ORDINAUT_TCMALLOC_PC)
        target_link_libraries(${target} PRIVATE "-Wl,--push-state,--no-as-needed"
                              PkgConfig::ORDINAUT_TCMALLOC_PC "-Wl,--pop-state")
    endif()
endfunction()
